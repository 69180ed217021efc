"""module_utils/hub_render.py: versions, helm command, splitting, strict validation, summary, generated fields."""
import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils import hub_render
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_render import HubRenderError

DEPLOYMENT = """---
# Source: jupyterhub/templates/hub/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hub
spec:
  selector: {matchLabels: {app: hub}}
  template:
    metadata: {labels: {app: hub}}
    spec:
      initContainers: [{name: init, image: busybox:1}]
      containers: [{name: hub, image: quay.io/jupyterhub/k8s-hub:4.4.0}]
"""
INGRESS = """---
# Source: jupyterhub/templates/ingress.yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: jupyterhub}
spec:
  ingressClassName: traefik
  rules:
    - host: a.example.org
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: proxy-public, port: {name: http}}}}]}
    - host: b.example.org
  tls: [{hosts: [a.example.org]}]
"""
SECRET = """---
# Source: jupyterhub/templates/hub/secret.yaml
apiVersion: v1
kind: Secret
metadata: {name: hub}
data: {token: %s}
"""


@pytest.mark.parametrize("given, expected", [("v1.31.4+k3s1", "1.31.4"), ("1.30.2", "1.30.2"),
                                             ("v1.29.0-rc1+k3s2", "1.29.0")])
def test_kube_version(given, expected):
    assert hub_render.kube_version(given) == expected


@pytest.mark.parametrize("bad", ["1.31", "latest", "", None])
def test_kube_version_refuses(bad):
    with pytest.raises(HubRenderError, match="k3s_version .* is not a k3s release"):
        hub_render.kube_version(bad)


def test_served_api_versions_follow_the_kubernetes_version():
    new = hub_render.served_api_versions("v1.31.4+k3s1")
    old = hub_render.served_api_versions("v1.24.9+k3s1")
    assert "policy/v1/PodDisruptionBudget" in new and "policy/v1beta1/PodDisruptionBudget" not in new
    assert "policy/v1beta1/PodDisruptionBudget" in old
    assert "networking.k8s.io/v1/Ingress" in new and "networking.k8s.io/v1beta1/Ingress" not in new


def test_helm_template_argv():
    argv = hub_render.helm_template_argv("/bin/helm", "/c/jupyterhub", "physics", "physics", "/v.yaml",
                                         "v1.31.4+k3s1", ["policy/v1/PodDisruptionBudget"])
    assert argv == ["/bin/helm", "template", "physics", "/c/jupyterhub", "--namespace", "physics", "--values",
                    "/v.yaml", "--kube-version", "v1.31.4", "--skip-tests", "--api-versions",
                    "policy/v1/PodDisruptionBudget"]


def test_split_documents_keeps_sources_and_drops_empty():
    objects = hub_render.split_documents(DEPLOYMENT + "---\n# Source: x/empty.yaml\n" + INGRESS)
    assert [(source, obj["kind"]) for source, obj in objects] == [
        ("jupyterhub/templates/hub/deployment.yaml", "Deployment"), ("jupyterhub/templates/ingress.yaml", "Ingress")]


def test_split_documents_refuses_a_non_object():
    with pytest.raises(HubRenderError, match="x/notes.yaml: helm rendered a document that is not a Kubernetes"):
        hub_render.split_documents("---\n# Source: x/notes.yaml\njust: text\n")


def test_valid_objects_pass():
    assert hub_render.validate_objects(hub_render.split_documents(DEPLOYMENT + INGRESS), "v1.31.4+k3s1") == []


def test_errors_name_object_template_and_field_never_the_value():
    text = DEPLOYMENT.replace("image: quay.io/jupyterhub/k8s-hub:4.4.0}",
                              "image: quay.io/jupyterhub/k8s-hub:4.4.0, imagePullPolicy: 12345, colour: red}")
    problems = hub_render.validate_objects(hub_render.split_documents(text), "1.31.4")
    assert problems == [
        "Deployment/hub (jupyterhub/templates/hub/deployment.yaml): field spec.template.spec.containers[0] "
        "unknown field(s) colour (not in the Kubernetes schema)",
        "Deployment/hub (jupyterhub/templates/hub/deployment.yaml): field "
        "spec.template.spec.containers[0].imagePullPolicy must be of type string or null"]
    assert not any("12345" in p or "red" in p for p in problems)


def test_api_not_served_is_an_error():
    pdb = "---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: hub}\nspec: {}\n"
    assert hub_render.validate_objects(hub_render.split_documents(pdb), "1.31.4") == [
        "PodDisruptionBudget/hub (unknown template): apiVersion policy/v1beta1 kind PodDisruptionBudget "
        "is not served by Kubernetes 1.31.4"]


def test_kubernetes_version_without_schemas():
    with pytest.raises(HubRenderError, match="has no schemas for Kubernetes 1.99"):
        hub_render.validate_objects([], "1.99.0")


def test_summarise():
    summary = hub_render.summarise(hub_render.split_documents(DEPLOYMENT + INGRESS + SECRET % "czM="))
    assert summary == {"objects": 3, "kinds": {"Deployment": 1, "Ingress": 1, "Secret": 1},
                       "images": ["busybox:1", "quay.io/jupyterhub/k8s-hub:4.4.0"],
                       "urls": ["https://a.example.org/", "http://b.example.org/"]}


def test_render_keeps_previous_manifests_when_only_generated_fields_differ():
    draws = iter(["YQ==", "Yg==", "Yw==", "ZA=="])

    def helm(_argv):
        return 0, DEPLOYMENT + SECRET % next(draws), ""

    first, _ = hub_render.render(helm, ["helm"], "physics", "1.31.4")
    again, _ = hub_render.render(helm, ["helm"], "physics", "1.31.4", previous=first)
    assert again == first
    # A real change (another image) is not hidden by the generated token.
    changed, _ = hub_render.render(lambda _a: (0, DEPLOYMENT.replace("busybox:1", "busybox:2") + SECRET % "ZQ==", ""),
                                   ["helm"], "physics", "1.31.4", previous=first)
    assert "busybox:2" in changed


def test_render_errors_name_the_hub_and_scrub_helm_output():
    with pytest.raises(HubRenderError) as info:
        hub_render.render(lambda _a: (1, "", "Error: bad value hunter2-secret"), ["helm"], "physics", "1.31.4",
                          secrets=["hunter2-secret"])
    assert str(info.value).startswith("hub physics: helm template failed (rc 1): Error: bad value ")
    assert "hunter2" not in str(info.value)
    bad = DEPLOYMENT.replace("      containers: [", "      containers: [{name: x, ports: [{containerPort: http}]}, ")
    with pytest.raises(HubRenderError, match=r"(?s)hub physics: 1 object\(s\) .* nothing was written:\n"
                                             r"- hub physics: Deployment/hub .*field spec.template.spec.containers\[0\]"
                                             r".ports\[0\].containerPort must be of type integer"):
        hub_render.render(lambda _a: (0, bad, ""), ["helm"], "physics", "1.31.4")


def test_summary_table():
    results = [{"hub_name": "physics", "objects": 31, "images": ["a", "b"], "urls": ["https://p/"]},
               {"hub_name": "binder", "skipped": True}]
    hubs = [{"name": "physics", "kind": "jupyterhub"}, {"name": "binder", "kind": "binderhub", "chart_version": "9"}]
    lines = hub_render.summary_table(results, hubs, {"jupyterhub": {"version": "4.4.0"}}, "/r")
    assert lines[0].split(" | ") == ["hub    ", "kind      ", "chart           ", "objects", "images", "URLs"]
    assert lines[2].split(" | ")[3:] == ["31     ", "2     ", "https://p/"]
    assert "binderhub 9" in lines[3] and "not rendered (check mode)" in lines[3]
    assert lines[4] == "physics images: a, b"
    assert lines[-1] == "files (mode 0600): /r/<hub>/values.yaml and manifests.yaml"

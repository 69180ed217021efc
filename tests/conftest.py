"""Shared pytest set-up: make the collection importable as ansible_collections.versatile.jupyter.

scripts/test (link_collection) links this repository into ./.ansible/collections; the same link is made
here when pytest runs on its own. Engineers may add shared fixtures below; keep this part first.
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".ansible", "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "versatile", "jupyter")
if not os.path.exists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(REPO, _LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

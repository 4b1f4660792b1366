# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.wpcom.jetpack`` importable for the unit tests.

The collection's code imports itself by its full name, which only resolves inside an
``ansible_collections`` tree: the build folder holds one with a link back to this
checkout.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "wpcom", "jetpack")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)

# Appended, not prepended: under ansible-test, the tree it lays out must win.
if COLLECTIONS not in sys.path:
    sys.path.append(COLLECTIONS)

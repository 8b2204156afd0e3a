"""Sphinx configuration of the neurozoo documentation site (pydata-sphinx-theme, numpydoc, sphinx-gallery).

The package pages, the gallery configuration and the reproduction dashboard are generated from the workspace at
build time (docs/_ext/neurozoo_pages.py): nothing lists the packages by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

import neurozoo_pages  # noqa: E402

PACKAGES = neurozoo_pages.generate(ROOT, DOCS)

project = "neurozoo"
author = "neurozoo developers"
copyright = "2026, neurozoo developers"
release = ""

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "tests", "screenshots", "Thumbs.db", ".DS_Store", "**/GALLERY_HEADER.rst"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_extra_path = ["_generated/extra"]
html_css_files = ["neurozoo.css"]
html_js_files = ["dashboard.js"]
html_theme = "pydata_sphinx_theme"
html_title = "neurozoo"
html_favicon = "_static/favicon.png"
html_context = {"default_mode": "light"}
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "github_url": "https://github.com/neurozoo/neurozoo",
    "footer_start": ["copyright"],
    "footer_end": [],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
html_copy_source = False

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "config.cache"]

autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "none"
autodoc_inherit_docstrings = False
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
intersphinx_mapping: dict[str, tuple[str, None]] = {}

sphinx_gallery_conf = {
    "examples_dirs": [str(p) for p in neurozoo_pages.example_dirs(ROOT)],
    "gallery_dirs": [f"gallery/{p.parent.name}" for p in neurozoo_pages.example_dirs(ROOT)],
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "plot_gallery": "True",
    "min_reported_time": 1000,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib", neurozoo_pages.figure_scraper),
    "reset_modules": ("matplotlib",),
    "within_subsection_order": "FileNameSortKey",
    "write_computation_times": False,
}

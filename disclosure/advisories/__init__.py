"""Advisories: the public document of a case, from draft to reviewed publication.

- ``content``: what a revision freezes (``build_content``) and how a reader sees it;
- ``publication``: the scheduled publication sweep;
- ``formats``: CSAF 2.0, OSV and CVE JSON 5 records and the CSAF provider directory;
- ``forms``, ``views``, ``urls``: the coordinator's editor and review pages on a case;
- ``public_views``, ``public_urls``: the public pages, feed and files;
- ``demo``: the demo's published advisories.

The model and its revisions are ``disclosure.models.advisory``; the workflow's state
changes are methods there.
"""

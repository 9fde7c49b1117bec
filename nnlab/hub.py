"""nbgitpuller links: how a course reaches students on a JupyterHub (``nnlab hub-link``).

A student who opens such a link logs in to the hub, gets a server, and nbgitpuller (in the single-user
environment) clones the course repository into their home the first time, or merges its new commits into their
copy afterwards without overwriting their own changes, then opens the notebook. The link follows nbgitpuller's
own link generator: ``HUB/hub/user-redirect/git-pull?repo=...&urlpath=...&branch=...``, each value URL-encoded;
``urlpath`` is the notebook in JupyterLab under the folder nbgitpuller clones into, which (unless
``targetpath`` names another) is the last part of the repository's URL as written, ``.git`` included.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

#: the course's repository and the notebook a student starts with
REPOSITORY = "https://github.com/nnlab/nnlab"
FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"


def clone_folder(repo, targetpath=None):
    """The folder, relative to the student's home, that nbgitpuller pulls ``repo`` into: ``targetpath`` if given,
    else the last part of the URL or path (as nbgitpuller's handler computes it, trailing slashes dropped)."""
    folder = targetpath or repo.rstrip("/").split("/")[-1]
    if not folder or folder in (".", "..") or ":" in folder:
        raise ValueError(f"repo: cannot tell which folder nbgitpuller would pull {repo!r} into (got {folder!r}); "
                         "give the folder with targetpath")
    return folder


def pull_link(hub, repo=REPOSITORY, branch="main", notebook=FIRST_NOTEBOOK, targetpath=None, app="lab"):
    """The nbgitpuller link that pulls ``branch`` of ``repo`` into each student's home on the JupyterHub at
    ``hub`` (its public address, e.g. ``https://hub.example.edu`` or ``http://127.0.0.1:8000/prefix``) and opens
    ``notebook`` (a path inside the repository) in JupyterLab (``app="lab"``) or Notebook 7 (``"notebook"``).
    Raises ValueError naming the argument that is wrong."""
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"hub: expected the hub's address, http:// or https://, got {hub!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"hub: expected the hub's address without a query or fragment, got {hub!r}")
    if not repo or repo != repo.strip():
        raise ValueError(f"repo: expected a git repository URL or path, got {repo!r}")
    if not branch or any(c.isspace() for c in branch):
        raise ValueError(f"branch: expected a branch name, got {branch!r}")
    path = notebook.strip("/")
    if not path or ".." in path.split("/"):
        raise ValueError(f"notebook: expected a path inside the repository, got {notebook!r}")
    views = {"lab": "lab/tree", "notebook": "notebooks"}
    if app not in views:
        raise ValueError(f"app: expected one of {sorted(views)}, got {app!r}")
    urlpath = f"{views[app]}/{quote(clone_folder(repo, targetpath))}/{quote(path)}"
    query = [("repo", repo), ("urlpath", urlpath), ("branch", branch)]
    if targetpath:
        query.append(("targetpath", targetpath))
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{urlencode(query)}"

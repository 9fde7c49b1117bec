"""JupyterHub configuration for the course on one machine: read by ``jupyterhub -f deploy/jupyterhub_config.py``,
which ``deploy/hub.py start`` runs (with the settings below in its environment; see that script).

Real components, as on a hub of your own: the built-in ``shared-password`` authenticator (every student logs in
with one password, ``NNLAB_HUB_PASSWORD``, at least 8 characters), configurable-http-proxy from npm in front,
the built-in local process spawner (``SimpleLocalProcessSpawner``: one JupyterLab per student from this
environment, each in its own home folder ``NNLAB_HUB_DIR/home/<student>``, all as the user running the hub) and
``jupyterhub-idle-culler`` as a hub-managed service that stops servers idle for ``NNLAB_HUB_CULL_TIMEOUT``
seconds (default 3600). Every address is 127.0.0.1. The local process spawner enforces no memory or CPU limit
(``mem_limit`` is only passed on as ``MEM_LIMIT``); the systemd spawner (The Littlest JupyterHub) and
KubeSpawner (Zero-to-JupyterHub) do.

Settings, all from the environment (``deploy/hub.py`` sets them):

NNLAB_HUB_DIR           folder for the hub's state: database, cookie secret, pid files, logs, students' homes
NNLAB_HUB_PORT          the public port (the proxy), NNLAB_HUB_API_PORT the hub's own, NNLAB_PROXY_API_PORT the
                        proxy's REST API
NNLAB_HUB_PASSWORD      the students' shared password
NNLAB_HUB_PROXY         the configurable-http-proxy program
NNLAB_HUB_ID            a mark given to every process the hub starts (servers and kernels inherit it), so
                        ``deploy/hub.py stop`` finds each of them
NNLAB_HUB_TOKEN         the API token of the ``nnlab-hub`` service (``deploy/hub.py status`` reads users with it)
NNLAB_HUB_CULL_TIMEOUT  seconds of inactivity before the culler stops a server (default 3600)
NNLAB_HUB_EXPOSE_APP    1: JupyterLab exposes ``window.jupyterapp`` (for the browser test and the benchmark)
"""
import os
import sys
from pathlib import Path


def setting(name, default=None):
    """The environment variable ``name``; a clear error when it is needed and missing."""
    value = os.environ.get(name, default)
    if value is None:
        raise SystemExit(f"deploy/jupyterhub_config.py: {name} is not set (deploy/hub.py start sets it)")
    return value


c = get_config()  # noqa: F821 (JupyterHub's config loader defines get_config)
STATE = Path(setting("NNLAB_HUB_DIR")).resolve()
BIN = Path(sys.executable).parent

# the hub: public side through the proxy, the hub's API and the proxy's API, all on 127.0.0.1
c.JupyterHub.bind_url = f"http://127.0.0.1:{setting('NNLAB_HUB_PORT')}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(setting("NNLAB_HUB_API_PORT"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{setting('NNLAB_PROXY_API_PORT')}"
c.ConfigurableHTTPProxy.command = [setting("NNLAB_HUB_PROXY")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server (and so their kernels)
c.JupyterHub.cleanup_proxy = True

# students: one shared password, any name
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = setting("NNLAB_HUB_PASSWORD")
c.Authenticator.allow_all = True

# one JupyterLab per student, from this environment, in a home folder of its own
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--ServerApp.ip=127.0.0.1"]
if os.environ.get("NNLAB_HUB_EXPOSE_APP") == "1":
    c.Spawner.args.append("--LabApp.expose_app_in_browser=True")
if hasattr(os, "geteuid") and os.geteuid() == 0:  # a container or CI machine running as root
    c.Spawner.args.append("--allow-root")
c.Spawner.environment = {"NNLAB_HUB_ID": setting("NNLAB_HUB_ID", "")}
c.Spawner.start_timeout = 180  # a loaded machine: many servers starting at once
c.Spawner.http_timeout = 120
# a student who follows a course link before the server runs is sent on to start it (after a second), not left
# on the "server not running" page
c.JupyterHub.implicit_spawn_seconds = 1

# the idle culler: stops servers (and their kernels) nobody has used for a while
CULL_TIMEOUT = int(setting("NNLAB_HUB_CULL_TIMEOUT", "3600"))
c.JupyterHub.services = [
    {"name": "idle-culler",
     "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={CULL_TIMEOUT}",
                 f"--cull-every={max(10, min(600, CULL_TIMEOUT // 2))}"]},
    {"name": "nnlab-hub", "api_token": setting("NNLAB_HUB_TOKEN")},
]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
    {"name": "nnlab-hub", "services": ["nnlab-hub"],
     "scopes": ["list:users", "read:users", "read:servers", "read:services"]},
]

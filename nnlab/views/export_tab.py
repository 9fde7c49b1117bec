"""The playground's export: the run as a PyTorch script (``nnlab.export``), from code or as a file to download."""
from __future__ import annotations

import base64

import ipywidgets as widgets


class ExportsRuns:
    """What ``TrainingPlayground`` exports; it needs ``config()`` and the state's ``points``."""

    def to_pytorch(self, epochs=20, path=None):
        """A runnable PyTorch script that repeats this run (same data, weights, order, optimiser) for
        ``epochs`` epochs; written to ``path`` as well if one is given."""
        from .. import export
        text = export.pytorch_script(self.config(), self._state["points"], epochs=epochs)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    def _export_panel(self):
        """A button that writes this run's PyTorch script (``to_pytorch``) and offers it as a file to download
        (a link the browser saves as ``nnlab_run.py``, to run with ``python nnlab_run.py``). Not one of the
        figure's controls: it changes nothing shown."""
        epochs = widgets.BoundedIntText(value=20, min=1, max=1000, description="epochs", layout={"width": "160px"})
        button = widgets.Button(description="export this run as a PyTorch script (.py)", icon="download",
                                layout={"width": "auto"}, tooltip="write the script and offer it for download")
        link = widgets.HTML()
        link.add_class("nnlab-export")

        def export_run(_):
            text = self.to_pytorch(epochs=epochs.value)
            data = base64.b64encode(text.encode()).decode()
            link.value = (f'<a download="nnlab_run.py" href="data:text/x-python;base64,{data}">download '
                          f"nnlab_run.py</a> ({len(text.splitlines())} lines: the same data, weights, batches and "
                          f"optimiser for {epochs.value} epochs; run it with <code>python nnlab_run.py</code>)")

        button.on_click(export_run)
        self.export_button, self.export_link = button, link
        return [widgets.HBox([epochs, button]), link]

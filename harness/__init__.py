"""Development harness shared by the browser tests and the benchmark (not shipped): JupyterLab
and Debian's Chromium driven by Playwright."""

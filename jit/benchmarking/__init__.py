"""The comparative benchmark that ``arrayscript bench`` runs and bench/ builds on:
the workloads, elementwise and reductions (``workloads``), the entries that run them and the one run
that checks and times them (``comparison``), its table and chart (``report``).
It lives in the installed package so that the command works wherever
arrayscript is installed; bench/ is a directory of scripts, not a package users get."""

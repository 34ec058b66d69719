"""The web dashboard (Solara): ``clustersim dashboard``; see docs/dashboard.md."""

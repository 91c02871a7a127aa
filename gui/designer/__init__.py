"""Designing a topology beside the canvas: the node palette, the inspector with its param
editors (``editors``), and the problems panel."""

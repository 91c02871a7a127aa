"""The look every part of the app shares: the canvas colours (``theme``) and the icons."""

"""The look every part of the app shares: the light and dark palettes and the one shown
(``theme``), and the icons."""

"""The editing layer: the open document, one undo command per user gesture, the clipboard."""

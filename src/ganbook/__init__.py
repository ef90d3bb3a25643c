"""ganbook: the code shared by the chapters of the book and by its tests."""

__version__ = "0.1.0"

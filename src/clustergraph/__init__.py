"""clustergraph: a linked-data knowledge graph of technology clusters and their collaborations."""

__version__ = "0.1.0"
__all__ = ["__version__"]

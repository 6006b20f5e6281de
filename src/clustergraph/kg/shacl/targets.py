"""Shape targets (sh:targetClass, sh:targetNode, sh:targetSubjectsOf, sh:targetObjectsOf) as SPARQL, and which
shapes are active."""

from __future__ import annotations

import rdflib
from rdflib import RDF
from rdflib.namespace import SH

from clustergraph.kg.shacl.model import RDF_TYPE_PATH


class TargetParts:
    """Mixin of :class:`~clustergraph.kg.shacl.compiler.ShapeCompiler`: targets and class membership."""

    def instance_of(self, node: str, *classes: rdflib.term.Node) -> str:
        """A pattern matching when ``node`` is a SHACL instance of any of ``classes``."""
        if self.subclasses is None:
            return " UNION ".join(f"{{ {node} {RDF_TYPE_PATH} {c.n3()} . }}" for c in classes)
        kinds = " ".join(f"<{c}>" for c in sorted({k for cls in classes for k in self.subclasses(str(cls))}))
        t = self.fresh("type")
        return f"{node} <{RDF.type}> {t} . VALUES {t} {{ {kinds} }}"

    # --- shapes and targets ---------------------------------------------------------------------------
    def targeted_shapes(self) -> set[rdflib.term.Node]:
        targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
        shapes = {s for t in targets for s in self.g.subjects(t, None)} | self.implicit_class_targets()
        return {s for s in shapes if not self._deactivated(s)}

    def implicit_class_targets(self) -> set[rdflib.term.Node]:
        """Shapes that are also classes (SHACL 2.1.3.1): each targets its own instances."""
        if self._implicit is None:
            classes = set(self.g.transitive_subjects(rdflib.RDFS.subClassOf, rdflib.RDFS.Class))
            typed = {s for c in classes for s in self.g.subjects(RDF.type, c)}
            shapes = set(self.g.subjects(RDF.type, SH.NodeShape)) | set(self.g.subjects(RDF.type, SH.PropertyShape))
            self._implicit = {s for s in typed & shapes if isinstance(s, rdflib.URIRef)}
        return self._implicit

    def _deactivated(self, shape: rdflib.term.Node) -> bool:
        return self.g.value(shape, SH.deactivated) == rdflib.Literal(True)

    def target_pattern(self, shape: rdflib.term.Node, this: str) -> str:
        return " UNION ".join(f"{{ {b} }}" for b in self.target_branches(shape, this))

    def target_branches(self, shape: rdflib.term.Node, this: str) -> list[str]:
        classes = sorted(set(self.g.objects(shape, SH.targetClass)) | (
            {shape} if shape in self.implicit_class_targets() else set()), key=str)
        branches = [self.instance_of(this, *classes)] if classes else []
        nodes = sorted(self.g.objects(shape, SH.targetNode), key=str)
        if nodes:
            branches.append(f"VALUES {this} {{ {' '.join(n.n3() for n in nodes)} }}")
        branches += [f"{this} {p.n3()} [] ." for p in self.g.objects(shape, SH.targetSubjectsOf)]
        branches += [f"[] {p.n3()} {this} ." for p in self.g.objects(shape, SH.targetObjectsOf)]
        return sorted(branches)

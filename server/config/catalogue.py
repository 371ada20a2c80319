"""The procedure catalogue (thủ tục hành chính) a kiosk lets visitors look up.

A YAML file per site lists procedures by field: name, documents to bring, fee and
processing time. Search ignores Vietnamese accents and case, so "dang ky khai sinh"
finds "Đăng ký khai sinh" (an on-screen keyboard need not type diacritics).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .reader import ConfigError, Node, load_yaml


def without_marks(text: str) -> str:
    """Vietnamese without its marks, case kept: 'Trung tâm Phục vụ' -> 'Trung tam Phuc vu'."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: str) -> str:
    """Lower-case text without accents: 'Đăng ký' -> 'dang ky'."""
    return re.sub(r"\s+", " ", without_marks(text).lower()).strip()


@dataclass(frozen=True)
class Procedure:
    code: str
    field: str
    name: str
    name_en: str
    documents: tuple[str, ...]
    fee: str
    processing_time: str
    folded: str

    def to_json(self) -> dict:
        return {"code": self.code, "field": self.field, "name": self.name, "name_en": self.name_en,
                "documents": list(self.documents), "fee": self.fee, "processing_time": self.processing_time}


class Catalogue:
    """The procedures of one site, searchable."""

    def __init__(self, procedures: list[Procedure]):
        self.procedures = procedures

    def search(self, query: str = "", field: str | None = None, limit: int = 50) -> list[Procedure]:
        """Procedures whose name contains every word of ``query`` (accents and case ignored);
        whole-phrase matches first."""
        words = fold(query or "").split()
        phrase = " ".join(words)
        hits = []
        for index, proc in enumerate(self.procedures):
            if field and proc.field != field:
                continue
            if all(word in proc.folded for word in words):
                hits.append((0 if phrase and phrase in proc.folded else 1, index, proc))
        hits.sort(key=lambda hit: hit[:2])
        return [proc for _rank, _index, proc in hits[:limit]]


def load_catalogue(path: Path, field_codes: set[str], where: str) -> Catalogue:
    """Read a catalogue file; errors name the procedure's path in the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([f"{where}: cannot read {path}: {err.strerror or err}"]) from err
    document = load_yaml(text, str(path))
    errors: list[str] = []
    root = Node(document, "", errors).mapping(["procedures"])
    procedures = read_procedures(root.node("procedures"), field_codes, required=True) if root else []
    if errors:
        raise ConfigError([f"{where} ({path.name}): {e}" for e in errors])
    return Catalogue(procedures)


def read_procedures(node: Node, field_codes: set[str], *, required: bool = False) -> list[Procedure]:
    """A list of procedures (a catalogue file's, or written inline in config.yaml, as ``qms
    config export`` writes one changed live); what is wrong goes to the node's errors."""
    procedures = []
    codes: set[str] = set()
    for item in node.items(required=required):
        m = item.mapping(["code", "field", "name", "name_en", "documents", "fee", "processing_time"])
        if m is None:
            continue
        code = m.text("code", required=True) or ""
        if code in codes:
            m.node("code").error(f"duplicate procedure code {code!r}")
        codes.add(code)
        field = m.text("field", required=True) or ""
        if field and field not in field_codes:
            m.node("field").error(f"unknown field {field!r}")
        name = m.text("name", required=True) or ""
        documents = []
        for document in m.node("documents").items():
            if isinstance(document.value, str) and document.value.strip():
                documents.append(document.value.strip())
            else:
                document.error("a document to bring is a line of text")
        procedures.append(Procedure(code=code, field=field, name=name, name_en=m.text("name_en", "") or "",
                                    documents=tuple(documents), fee=m.text("fee", "") or "",
                                    processing_time=m.text("processing_time", "") or "", folded=fold(name)))
    return procedures

"""XMP keyword sidecars: each photo of a run tagged with its group, for digiKam and Lightroom.

The photos themselves are never touched, and neither is a sidecar someone else wrote.
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from corral.engine.store import Project
from corral.models.fileio import write_atomic

from .fsops import ExportError, abs_path, name_key
from .plan import source_path
from .tables import run_members

__all__ = ["write_xmp_sidecars"]

_XML_BAD = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))
_CORRAL_MARK = b'x:xmptk="Corral"'


def _xml_text(text: str) -> str:
    """Text safe inside an XML element: no control characters, no lone surrogates."""
    cleaned = text.translate(_XML_BAD)
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    cleaned = "".join(ch for ch in cleaned if ch not in "\ufffe\uffff")
    return escape(cleaned)


def _xmp(group_name: str) -> bytes:
    """An XMP packet tagging a photo with the group, flat (dc:subject) and as Corral|group."""
    name = " ".join(group_name.replace("|", "/").split()) or "Ungrouped"
    keywords = "".join(f"<rdf:li>{_xml_text(k)}</rdf:li>" for k in ("Corral", name))
    hierarchy = f"<rdf:li>{_xml_text('Corral|' + name)}</rdf:li>"
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Corral">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f"    xmp:CreatorTool={quoteattr('Corral')}>\n"
        f"   <dc:subject><rdf:Bag>{keywords}</rdf:Bag></dc:subject>\n"
        f"   <lr:hierarchicalSubject><rdf:Bag>{hierarchy}</rdf:Bag></lr:hierarchicalSubject>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>\n'
    )
    return text.encode("utf-8")


def write_xmp_sidecars(
    project: Project,
    run_id: int,
    *,
    dest_dir: str | Path | None = None,
) -> list[Path]:
    """Write an XMP sidecar with the group as keywords for every image of the run.

    By default the sidecar sits next to the photo, named the way digiKam and Lightroom look
    for it (``IMG_1.jpg`` -> ``IMG_1.xmp``); when two images in one folder share a stem
    (``IMG_1.jpg`` and ``IMG_1.png``) the later ones use the full name (``IMG_1.png.xmp``).
    With ``dest_dir`` the sidecars go there instead, in the same relative folders.

    An existing sidecar is never changed: the keywords then go to ``<file>.corral.xmp``,
    a name only Corral uses (and which Corral rewrites on a later run). Returns the
    sidecars that now hold the keywords.
    """
    rows = run_members(project, run_id)
    root = project.root
    if root is None:
        raise ExportError("The project has no folder set.")
    root = abs_path(root)
    base = abs_path(dest_dir) if dest_dir is not None else root
    images = sorted(
        (
            (member.item, group)
            for group, member in rows
            if member.is_picture
        ),
        key=lambda pair: pair[0].path,
    )
    stems_seen: set[str] = set()
    written: list[Path] = []
    for item, group in images:
        src = abs_path(source_path(root, item))
        if root not in src.parents or not os.path.isfile(src):
            continue
        rel = src.relative_to(root)
        folder = base / rel.parent
        stem_key = name_key(folder / src.stem)
        primary = folder / (src.stem + ".xmp")
        if stem_key in stems_seen:
            primary = folder / (src.name + ".xmp")
        stems_seen.add(stem_key)
        data = _xmp(group.name)
        folder.mkdir(parents=True, exist_ok=True)
        target = _write_sidecar(primary, folder / (src.name + ".corral.xmp"), data)
        if target is not None:
            written.append(target)
    return written


def _write_sidecar(primary: Path, own: Path, data: bytes) -> Path | None:
    """Write ``data`` to ``primary`` if that name is free, else to Corral's own name."""
    for path in (primary, own):
        try:
            write_atomic(path, data, replace=False)
        except FileExistsError:
            try:
                if path.read_bytes() == data:
                    return path  # written by an earlier identical call
            except OSError:
                pass
            continue
        return path
    # The Corral-only name exists with other keywords (an earlier run): replace it, but
    # only if it really is Corral's.
    try:
        if os.path.islink(own) or _CORRAL_MARK not in own.read_bytes():
            return None
    except OSError:
        return None
    write_atomic(own, data)
    return own

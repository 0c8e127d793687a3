"""One PDF/A-3b document cut into several, each a PDF/A-3b of its own with its own data.

Writing a PDF costs by the document: WeasyPrint subsets the fonts and serialises every
object in Python. A batch of receipts is therefore written once, as one document, and cut
here (pikepdf: qpdf's C++) into one file per receipt: its pages; only the fonts, images and
other resources those pages draw with (WeasyPrint gives all pages one shared resource
dictionary, which would otherwise hand every donor the others' QR codes); the batch's
colour profile (the PDF/A output intent); its own XMP metadata (title, language, PDF/A-3b
identification, matching the document information); and its own data attached as an
associated file (AFRelationship /Data).

Also: a stamp laid over every page (a void receipt's copy), and documents put one after
another to print.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pikepdf
from django.utils import timezone
from weasyprint.pdf.metadata import DocumentMetadata

_XMP_HEADER = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
)
_XMP_FOOTER = b'</x:xmpmeta>\n<?xpacket end="r"?>'
# A name operand in a content stream (/F1 12 Tf, /Im3 Do, /GS1 gs...).
_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")


@dataclass(frozen=True)
class Part:
    """One file to cut out: the next `pages` pages of the document."""

    pages: int
    title: str
    language: str
    data: bytes
    data_name: str
    data_description: str
    data_mime_type: str = "application/json"


def split_pdf_a3b(document: bytes, parts: Sequence[Part]) -> list[bytes]:
    """`document` (a PDF/A-3b from WeasyPrint) as one PDF/A-3b per part, in order."""
    source = pikepdf.open(io.BytesIO(document))
    if sum(part.pages for part in parts) != len(source.pages):
        raise ValueError(
            f"The parts have {sum(p.pages for p in parts)} pages; the document has "
            f"{len(source.pages)}."
        )
    output_intents = source.make_indirect(source.Root.OutputIntents)
    producer = source.docinfo.get("/Producer", pikepdf.String("WeasyPrint"))
    now = timezone.now().strftime("D:%Y%m%d%H%M%SZ")
    files, start = [], 0
    for part in parts:
        pages = source.pages[start : start + part.pages]
        start += part.pages
        for page in pages:
            _keep_only_used_resources(page)
        files.append(_write_part(source, pages, part, output_intents, producer, now))
    return files


def _keep_only_used_resources(page: pikepdf.Page) -> None:
    """Give the page its own resource dictionary holding only what its content names."""
    contents = page.obj.Contents
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    used = set(_NAME.findall(b"".join(stream.read_bytes() for stream in streams)))
    resources = pikepdf.Dictionary()
    for category, entries in page.obj.Resources.items():
        if not isinstance(entries, pikepdf.Dictionary):
            resources[category] = entries  # /ProcSet: an array of names
            continue
        kept = {key: value for key, value in entries.items() if key[1:].encode() in used}
        if kept:
            resources[category] = pikepdf.Dictionary(kept)
    page.obj.Resources = resources


def _write_part(source, pages, part: Part, output_intents, producer, now: str) -> bytes:
    pdf = pikepdf.new()
    pdf.pages.extend(pages)
    pdf.Root.OutputIntents = pdf.copy_foreign(output_intents)
    pdf.Root.Lang = pikepdf.String(part.language)
    metadata = DocumentMetadata(title=part.title)
    xmp = b"\n".join((_XMP_HEADER, metadata.generate_rdf_metadata("a", 3, "B"), _XMP_FOOTER))
    pdf.Root.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    pdf.docinfo = pdf.make_indirect(
        pikepdf.Dictionary(Producer=producer, Title=pikepdf.String(part.title))
    )
    attached = pikepdf.AttachedFileSpec(
        pdf, part.data, description=part.data_description, filename=part.data_name,
        mime_type=part.data_mime_type, relationship=pikepdf.Name.Data,
        creation_date=now, mod_date=now,
    )  # fmt: skip
    pdf.attachments[part.data_name] = attached
    pdf.Root.AF = pikepdf.Array([attached.obj])
    return _saved(pdf, min_version=source.pdf_version)


def overlay_each_page(document: bytes, overlay: bytes) -> bytes:
    """`document` with the first page of `overlay` drawn over each of its pages (a stamp),
    everything else (metadata, attachments) as it was."""
    pdf = pikepdf.open(io.BytesIO(document))
    stamp = pikepdf.open(io.BytesIO(overlay))
    form = pdf.copy_foreign(stamp.pages[0].as_form_xobject())
    for page in pdf.pages:
        page.add_overlay(form, pikepdf.Rectangle(*page.mediabox))
    return _saved(pdf, min_version=pdf.pdf_version)


def concatenate(documents: Iterable[bytes]) -> bytes:
    """The documents' pages one after another, as one PDF to print (not an archive)."""
    pdf = pikepdf.new()
    sources = []  # open until the result is saved: copied pages read their streams from them
    for document in documents:
        sources.append(pikepdf.open(io.BytesIO(document)))
        pdf.pages.extend(sources[-1].pages)
    return _saved(pdf)


def _saved(pdf: pikepdf.Pdf, **options) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=True, **options)
    return buffer.getvalue()

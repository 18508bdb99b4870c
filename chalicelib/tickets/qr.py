"""QR codes for ticket payloads, as SVG for screens and e-mail and as PNG for print and wallets."""

from __future__ import annotations

import io

import segno

ERROR_CORRECTION = "m"  # survives about 15 % damage: a creased print-out or a cracked phone screen
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks; scanners miss codes without it


def make_qr(payload: str) -> segno.QRCode:
    """The QR code for a payload: a full (not micro) code at error correction level M, byte mode."""
    # boost_error off: the level stays M, so code size and robustness are the same for every ticket.
    return segno.make_qr(payload, error=ERROR_CORRECTION, boost_error=False, mode="byte")


def qr_svg(payload: str, scale: int = 4) -> str:
    """The QR code as one `<svg>` element with its namespace and no XML declaration: fits HTML and files alike."""
    out = io.BytesIO()
    make_qr(payload).save(
        out, kind="svg", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff", xmldecl=False, svgns=True, nl=False
    )
    return out.getvalue().decode("utf-8")


def qr_png(payload: str, scale: int = 8) -> bytes:
    """The QR code as PNG bytes, `scale` pixels per module, black on white with the quiet zone."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    out = io.BytesIO()
    make_qr(payload).save(out, kind="png", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff")
    return out.getvalue()

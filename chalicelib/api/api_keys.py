"""A house admin's API keys for the house's integrations (ticketing partners, CRM sync, dashboards).

The key is shown once, when it is made; afterwards only its id, name and scopes. Every call is keyed
by the admin's house: another house's key id is not found.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..services import api_keys as service
from ..web.auth import SCOPES, Role, current_staff, house_of, staff
from ..web.http import endpoint, json_response, parse_body, utc_text
from . import schemas

api_keys = Blueprint(__name__)
route = endpoint(api_keys)


def key_view(key) -> dict:
    return {
        "id": key.key_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "created_at": utc_text(key.created_at),
        "created_by": key.created_by,
        "revoked_at": utc_text(key.revoked_at) if key.revoked_at else None,
        "status": "revoked" if key.revoked_at else "active",
    }


@api_keys.route("/staff/api-keys", methods=["POST"])
@route
@staff(Role.HOUSE_ADMIN)
def create_api_key():
    """A new key with `scopes`; the answer's `key` is the only time the secret is shown."""
    body = parse_body(api_keys.current_request, schemas.ApiKeyBody)
    caller = current_staff()
    record, text = service.create(
        house_of(caller), body.name, body.scopes, set(SCOPES), caller.subject, ports.clock().now()
    )
    return json_response(
        {**key_view(record), "key": text},
        201,
        headers={"Location": f"/staff/api-keys/{record.key_id}", "Cache-Control": "no-store"},
    )


@api_keys.route("/staff/api-keys", methods=["GET"])
@route
@staff(Role.HOUSE_ADMIN)
def list_api_keys():
    return json_response(
        {"api_keys": [key_view(key) for key in service.list_keys(house_of(current_staff()))], "scopes": SCOPES}
    )


@api_keys.route("/staff/api-keys/{key_id}", methods=["DELETE"])
@route
@staff(Role.HOUSE_ADMIN)
def revoke_api_key(key_id: str):
    """Revoke it: its next call is refused (401). Revoking again answers the same."""
    return json_response(key_view(service.revoke(house_of(current_staff()), key_id, ports.clock().now())))

"""The staff route that maps a performance to its UiTdatabank date (the fan-out's consumers are in `tasks.fanout`)."""

from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import Field, StringConstraints

from ..services import catalog
from ..services import integrations as service
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import endpoint, json_response, parse_body
from .schemas import Body

uitdatabank = Blueprint(__name__)
route = endpoint(uitdatabank)


class UitdatabankMappingBody(Body):
    event_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]
    sub_event_id: Annotated[int, Field(ge=0, le=10_000)]


@uitdatabank.route("/staff/performances/{performance_id}/uitdatabank", methods=["PUT"])
@route
@staff(Role.HOUSE_ADMIN)
def map_performance_to_uitdatabank(performance_id: str):
    """This performance is date `sub_event_id` (array index) of UiTdatabank event `event_id`."""
    caller = current_staff()
    catalog.performance_for_staff(house_of(caller), performance_id)  # another house's: 404 before the body
    body = parse_body(uitdatabank.current_request, UitdatabankMappingBody)
    state = service.map_to_uitdatabank(house_of(caller), performance_id, body.event_id, body.sub_event_id)
    return json_response(
        {
            "performance_id": performance_id,
            "uitdatabank": {"event_id": state.uitdatabank_event_id, "sub_event_id": state.uitdatabank_sub_event},
        }
    )

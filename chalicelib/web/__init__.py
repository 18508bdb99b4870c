"""The HTTP edge the JSON API (`chalicelib.api`) and the hosted pages (`chalicelib.pages`) share: requests and
problem answers (`http`), who may call a route (`auth`), rate limits (`limits`) and buyer sessions (`sessions`)."""

"""Podium's Chalice app: registers the blueprints and the Powertools middleware, nothing else."""
from chalice import Chalice, ConvertToMiddleware

from chalicelib.api.carts import carts
from chalicelib.api.catalog import catalog
from chalicelib.api.holds import holds
from chalicelib.api.http import convert_chalice_errors
from chalicelib.api.maintenance import maintenance
from chalicelib.api.payments import payments
from chalicelib.api.public import public
from chalicelib.observability import logger, tracer

app = Chalice(app_name="podium")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler))
app.register_middleware(convert_chalice_errors, "http")
app.register_blueprint(public)
app.register_blueprint(holds)
app.register_blueprint(carts)
app.register_blueprint(catalog)
app.register_blueprint(payments)
app.register_blueprint(maintenance)

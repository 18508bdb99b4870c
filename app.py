"""Podium's Chalice app: registers the blueprints and the Powertools middleware, nothing else."""

from chalice import Chalice, ConvertToMiddleware

from chalicelib import wiring
from chalicelib.api.allocations import allocations
from chalicelib.api.api_keys import api_keys
from chalicelib.api.box_office import box_office
from chalicelib.api.bundles import bundles
from chalicelib.api.carts import carts
from chalicelib.api.catalog import catalog
from chalicelib.api.checkins import checkins
from chalicelib.api.checkout import checkout
from chalicelib.api.crm import crm
from chalicelib.api.gdpr import gdpr
from chalicelib.api.giftcards import giftcards
from chalicelib.api.holds import holds
from chalicelib.api.orders import orders
from chalicelib.api.payments import payments
from chalicelib.api.public import public
from chalicelib.api.settlements import settlements
from chalicelib.api.subscriptions import subscriptions
from chalicelib.api.timeslots import timeslots
from chalicelib.api.uitdatabank import uitdatabank
from chalicelib.api.uitpas import uitpas
from chalicelib.api.vouchers import vouchers
from chalicelib.observability import logger, tracer
from chalicelib.pages import desk, offer_pages, pages, preference_pages, subscription_pages
from chalicelib.tasks.checkout import workflow_tasks
from chalicelib.tasks.erasure import erasure_tasks
from chalicelib.tasks.fanout import fanout
from chalicelib.tasks.maintenance import maintenance
from chalicelib.tasks.refund import refund_tasks
from chalicelib.tasks.settlement import settlement_tasks
from chalicelib.web.http import add_security_headers, convert_chalice_errors

wiring.install()  # the AWS and Stripe adapters into the ports, before any function runs
app = Chalice(app_name="podium")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler))
# The first registered is the outermost: the headers go on every answer, Chalice's converted refusals too.
app.register_middleware(add_security_headers, "http")
app.register_middleware(convert_chalice_errors, "http")
app.register_blueprint(public)
app.register_blueprint(holds)
app.register_blueprint(bundles)
app.register_blueprint(carts)
app.register_blueprint(checkout)
app.register_blueprint(catalog)
app.register_blueprint(payments)
app.register_blueprint(orders)
app.register_blueprint(pages)
app.register_blueprint(checkins)
app.register_blueprint(box_office)
app.register_blueprint(desk)
app.register_blueprint(crm)
app.register_blueprint(settlements)
app.register_blueprint(api_keys)
app.register_blueprint(maintenance)
app.register_blueprint(fanout)
app.register_blueprint(uitdatabank)
app.register_blueprint(workflow_tasks)
app.register_blueprint(refund_tasks)
app.register_blueprint(settlement_tasks)
app.register_blueprint(gdpr)
app.register_blueprint(preference_pages)
app.register_blueprint(erasure_tasks)
app.register_blueprint(subscriptions)
app.register_blueprint(subscription_pages)
app.register_blueprint(uitpas)
app.register_blueprint(timeslots)
app.register_blueprint(vouchers)
app.register_blueprint(giftcards)
app.register_blueprint(offer_pages)
app.register_blueprint(allocations)

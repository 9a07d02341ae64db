"""REST API for custom stores: push abandoned carts, read your own carts back."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError, ConflictError
from core.pagination import MAX_PAGE_SIZE, ApiPagination
from integrations.parsing import recovery_link_problem
from recovery import selectors
from recovery.models import CartEvent
from recovery.services import (
    CartData,
    CustomerData,
    LineItemData,
    OrderData,
    PayloadError,
    cart_record_order,
    cart_upsert,
    phone_to_e164,
)


def required_text(max_length: int) -> serializers.RegexField:
    """Text that may not be blank. It accepts what a CharField accepts; its schema also says "not blank"
    (a non-space character), which a CharField's does not."""
    return serializers.RegexField(r"\S", max_length=max_length)


# A non-negative amount with at most two decimals, as a string: the pattern DRF's own schema for a
# DecimalField would give allows "", "-" and negative amounts, which are refused.
@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d{1,12}(?:\.\d{1,2})?$"})
class AmountField(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, min_value=0, **kwargs)


class CheckoutTimeField(serializers.DateTimeField):
    """A time between 2000 and 2100: a checkout's times are the present, and the product adds delays and
    windows to them (a year-1 time minus the attribution window does not exist)."""

    EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not self.EARLIEST <= parsed < self.LATEST:
            raise serializers.ValidationError("Give a time between 2000 and 2100.")
        return parsed


UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def storable(value) -> bool:
    """Whether PostgreSQL can store every string in `value` (a JSON body): no NUL, no lone surrogate."""
    if isinstance(value, str):
        return UNSTORABLE_CHARACTER.search(value) is None
    if isinstance(value, dict):
        return all(storable(key) and storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(storable(item) for item in value)
    return True


UNSTORABLE = "The body contains a NUL character (\\u0000) or a lone surrogate, which cannot be stored."


class CustomerInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True, default="")
    region = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    accepts_email_marketing = serializers.BooleanField(required=False, allow_null=True, default=None)
    accepts_sms_marketing = serializers.BooleanField(required=False, allow_null=True, default=None)


class LineItemInputSerializer(serializers.Serializer):
    title = required_text(500)
    sku = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    variant = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    product_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    variant_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=2_147_483_647, default=1)  # the column's limit
    unit_price = AmountField()


class FrictionInputSerializer(serializers.Serializer):
    payment_failed = serializers.BooleanField(default=False)
    reached_payment_step = serializers.BooleanField(default=False)
    error_text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    discount_code_tried = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CartOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    checkout_token = serializers.CharField()
    status = serializers.CharField()
    total = serializers.DecimalField(source="total_value", max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    checkout_url = serializers.CharField()
    abandoned_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    recovered_at = serializers.DateTimeField(allow_null=True)
    recovered_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    customer = inline_serializer(
        "CartCustomerOutput",
        {
            "external_id": serializers.CharField(),
            "first_name": serializers.CharField(),
            "last_name": serializers.CharField(),
            "email": serializers.CharField(),
            "phone": serializers.CharField(),
            "phone_invalid": serializers.BooleanField(),
        },
        allow_null=True,
    )
    line_items = inline_serializer(
        "CartLineItemOutput",
        {
            "title": serializers.CharField(),
            "sku": serializers.CharField(),
            "variant": serializers.CharField(),
            "quantity": serializers.IntegerField(),
            "unit_price": serializers.DecimalField(max_digits=14, decimal_places=2),
        },
        many=True,
        source="line_items.all",
    )


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()


# The error answers every operation can give, documented so clients (and the schema fuzzing) can rely on them.
UNAUTHENTICATED = {401: OpenApiResponse(ErrorDetailSerializer, description="No, malformed or revoked store token.")}
INVALID_BODY = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: each field with its errors, "
                                                          "`non_field_errors`, `detail` or `error`."),
    415: OpenApiResponse(ErrorDetailSerializer, description="The body is not JSON."),
}
PAGE_PARAMETERS = [
    OpenApiParameter("limit", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY,
                     description=f"Carts per page, at most {MAX_PAGE_SIZE} (a larger limit reads {MAX_PAGE_SIZE}); "
                                 "default 50."),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0}, OpenApiParameter.QUERY,
                     description="How many carts to skip (newest first)."),
]


class CartCollectionApi(APIView):
    """`POST` upserts a cart (idempotent on `external_id`); `GET` lists the store's carts."""

    class InputSerializer(serializers.Serializer):
        external_id = required_text(100)
        checkout_token = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
        total = AmountField()
        checkout_url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="")
        created_at = CheckoutTimeField(required=False, allow_null=True, default=None)
        updated_at = CheckoutTimeField(required=False, allow_null=True, default=None)
        abandoned_at = CheckoutTimeField(required=False, allow_null=True, default=None)
        completed_at = CheckoutTimeField(required=False, allow_null=True, default=None)
        customer = CustomerInputSerializer(required=False)
        line_items = LineItemInputSerializer(many=True, required=False, default=list)
        friction = FrictionInputSerializer(required=False)

        def validate_checkout_url(self, value: str) -> str:
            """The rule every source's link meets (`cart_upsert` drops a link that breaks it); here the client
            hears why at once and can send the cart again with a link customers may be sent."""
            problem = recovery_link_problem(value)
            if problem:
                raise serializers.ValidationError(f"{problem[0].upper()}{problem[1:]}.")
            return value

        def validate(self, attrs):
            customer = attrs.get("customer") or {}
            if not (customer.get("email") or customer.get("phone")):
                raise serializers.ValidationError(
                    {"customer": "Give the customer's email or phone: nobody could be contacted about this cart."}
                )
            return attrs

    @extend_schema(request=InputSerializer, responses={
        200: CartOutputSerializer, 201: CartOutputSerializer, **INVALID_BODY, **UNAUTHENTICATED,
        409: OpenApiResponse(ErrorSerializer, description="A newer version of the cart is stored already.")})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not storable(request.data):  # the body itself is kept as the cart's raw payload
            raise ApplicationError(UNSTORABLE)
        store = request.auth
        data = cart_data_from_api(serializer.validated_data, store_currency=store.currency, raw=request.data)
        try:
            result = cart_upsert(store=store, data=data, source=CartEvent.Source.API)
        except PayloadError as exc:
            raise ApplicationError(str(exc)) from exc
        if result.stale:
            raise ConflictError("A newer version of this cart (by updated_at) is already stored; nothing changed.")
        cart = selectors.carts_for_store(store).get(pk=result.cart.pk)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(CartOutputSerializer(cart).data, status=code)

    @extend_schema(operation_id="v1_carts_list", parameters=PAGE_PARAMETERS, responses={
        200: inline_serializer("PaginatedCartList", {
            "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True), "results": CartOutputSerializer(many=True)}),
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="`limit` or `offset` is not a whole number."),
        **UNAUTHENTICATED})
    def get(self, request):
        paginator = ApiPagination()
        page = paginator.paginate_queryset(selectors.carts_for_store(request.auth), request, view=self)
        return paginator.get_paginated_response(CartOutputSerializer(page, many=True).data)


class CartDetailApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("cart_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
                   responses={200: CartOutputSerializer, **UNAUTHENTICATED,
                              404: OpenApiResponse(ErrorDetailSerializer, description="No such cart in this store.")})
    def get(self, request, cart_id: str):
        if not (cart_id.isascii() and cart_id.isdigit()):  # the URL takes any text: see api_urls
            raise NotFound()
        cart = get_object_or_404(selectors.carts_for_store(request.auth), pk=int(cart_id))
        return Response(CartOutputSerializer(cart).data)


def cart_data_from_api(validated: dict, *, store_currency: str, raw) -> CartData:
    customer = validated.get("customer") or {}
    friction = validated.get("friction") or {}
    updated_at = validated.get("updated_at") or timezone.now()
    return CartData(
        external_id=validated["external_id"],
        checkout_token=validated.get("checkout_token", ""),
        currency=(validated.get("currency") or store_currency).upper(),
        total_value=validated["total"],
        checkout_url=validated.get("checkout_url", ""),
        platform_created_at=validated.get("created_at") or updated_at,
        platform_updated_at=updated_at,
        abandoned_at=validated.get("abandoned_at"),
        completed_at=validated.get("completed_at"),
        customer=CustomerData(
            external_id=customer.get("external_id", ""),
            first_name=customer.get("first_name", ""),
            last_name=customer.get("last_name", ""),
            email=customer.get("email", "").lower(),
            phone_raw=customer.get("phone", ""),
            country=customer.get("country", "").upper(),
            region=customer.get("region", "").upper(),
            accepts_email_marketing=customer.get("accepts_email_marketing"),
            accepts_sms_marketing=customer.get("accepts_sms_marketing"),
            consent_source="store_api",
            consent_at=updated_at,
        ),
        line_items=tuple(LineItemData(**item) for item in validated.get("line_items", [])),
        payment_failed=friction.get("payment_failed", False),
        reached_payment_step=friction.get("reached_payment_step", False),
        error_text=friction.get("error_text", ""),
        discount_code_tried=friction.get("discount_code_tried", ""),
        raw_payload=raw if isinstance(raw, dict) else {},
    )


class OrderApi(APIView):
    """`POST` reports an order: it recovers the cart it completes (by the cart's `external_id` or its
    `checkout_token`), else the same customer's recent abandoned cart (by email or phone) within the store's
    attribution window. Idempotent: reporting the same order again changes nothing."""


    class OrderInputSerializer(serializers.Serializer):
        order_id = required_text(100)
        total = AmountField()
        currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
        placed_at = CheckoutTimeField()
        cart_external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        checkout_token = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        email = serializers.EmailField(required=False, allow_blank=True, default="")
        phone = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True, default="")
        cancelled = serializers.BooleanField(default=False)

        def validate(self, attrs):
            if not any(attrs.get(key) for key in ("cart_external_id", "checkout_token", "email", "phone")):
                raise serializers.ValidationError("Give the cart (cart_external_id or checkout_token) or the "
                                                  "customer (email or phone) the order belongs to.")
            return attrs

    @extend_schema(request=OrderInputSerializer, responses={
        200: inline_serializer("OrderResult", {"recovered_cart": CartOutputSerializer(allow_null=True)}),
        **INVALID_BODY, **UNAUTHENTICATED})
    def post(self, request):
        serializer = self.OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, store = serializer.validated_data, request.auth
        order = OrderData(
            order_id=data["order_id"], total_value=data["total"],
            currency=(data.get("currency") or store.currency).upper(), placed_at=data["placed_at"],
            checkout_token=data["checkout_token"], legacy_checkout_id=data["cart_external_id"],
            email=data["email"].lower(), phone=phone_to_e164(data["phone"], region=data["country"]) or "",
            counts_as_sale=not data["cancelled"],
        )
        cart = cart_record_order(store=store, order=order, source=CartEvent.Source.API)
        recovered = cart if cart is not None and cart.recovered_order_id == order.order_id else None
        if recovered is not None:
            recovered = selectors.carts_for_store(store).get(pk=recovered.pk)
        return Response({"recovered_cart": CartOutputSerializer(recovered).data if recovered else None})

"""REST API for custom stores: push abandoned carts, read your own carts back."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import ApplicationError, ConflictError
from recovery import selectors
from recovery.models import CartEvent
from recovery.services import CartData, CustomerData, LineItemData, PayloadError, cart_upsert


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
    title = serializers.CharField(max_length=500)
    sku = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    variant = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    product_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    variant_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, default=1)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


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


class CartCollectionApi(APIView):
    parser_classes = [JSONParser]
    """`POST` upserts a cart (idempotent on `external_id`); `GET` lists the store's carts."""

    class InputSerializer(serializers.Serializer):
        external_id = serializers.CharField(max_length=100)
        checkout_token = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
        total = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
        checkout_url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="")
        created_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        updated_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        abandoned_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        completed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        customer = CustomerInputSerializer(required=False)
        line_items = LineItemInputSerializer(many=True, required=False, default=list)
        friction = FrictionInputSerializer(required=False)

        def validate(self, attrs):
            customer = attrs.get("customer") or {}
            if not (customer.get("email") or customer.get("phone")):
                raise serializers.ValidationError(
                    {"customer": "Give the customer's email or phone: nobody could be contacted about this cart."}
                )
            return attrs

    @extend_schema(request=InputSerializer, responses={200: CartOutputSerializer, 201: CartOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
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

    @extend_schema(responses=CartOutputSerializer(many=True))
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.carts_for_store(request.auth), request, view=self)
        return paginator.get_paginated_response(CartOutputSerializer(page, many=True).data)


class CartDetailApi(APIView):
    @extend_schema(responses=CartOutputSerializer)
    def get(self, request, cart_id: int):
        cart = get_object_or_404(selectors.carts_for_store(request.auth), pk=cart_id)
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

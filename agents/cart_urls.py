from django.urls import path

from agents.views import carts

app_name = "carts"

urlpatterns = [
    path("<int:cart_id>/", carts.cart_detail, name="detail"),
]

"""Broadcast images are decoded within the same memory bound as residents' photos
(portal/images.py) and MPO photos from phone cameras are accepted as their first frame."""

import io

from django.urls import reverse
from PIL import Image

from broadcasts.models import BroadcastImage
from tests.fixtures.images import bilevel_png, mpo_bytes


def _compose(client, payload: bytes):
    return client.post(reverse("broadcasts:new"), {"title": "x", "bubble-0-type": "image", "bubble-0-image": io.BytesIO(payload)})


def test_tiny_png_of_40_megapixels_is_refused(client, author):
    client.force_login(author)
    response = _compose(client, bilevel_png(7300, 5440))
    assert response.status_code == 400 and "画素数" in response.content.decode()
    assert BroadcastImage.objects.count() == 0


def test_mpo_is_accepted_as_its_first_frame(client, author):
    client.force_login(author)
    response = _compose(client, mpo_bytes([(200, 30, 30), (30, 30, 200)], size=(800, 600)))
    assert response.status_code == 302, response.content.decode()[-2000:]
    image = BroadcastImage.objects.get()
    assert (image.width, image.height) == (800, 600)
    original = Image.open(image.original.open("rb"))
    assert original.format == "JPEG"
    red, _green, blue = original.convert("RGB").getpixel((10, 10))
    assert red > 150 and blue < 80

import pytest
from django.core.management import call_command

from ilp.licensing.catalogue import STARTING_CATALOGUE, catalogue_seed_if_empty
from ilp.licensing.models import Product

pytestmark = pytest.mark.django_db


def test_migrated_database_has_the_starting_catalogue():
    assert set(Product.objects.values_list("sku", flat=True)) == {
        sku for sku, *_ in STARTING_CATALOGUE
    }
    assert Product.objects.get(sku="ICG").seat_multiple == 10
    assert Product.objects.get(sku="WE-P").term == "perpetual"


def test_an_emptied_catalogue_is_seeded_again():
    Product.objects.all().delete()
    catalogue_seed_if_empty()
    assert Product.objects.count() == len(STARTING_CATALOGUE)


def test_a_catalogue_with_products_is_left_to_the_staff():
    Product.objects.exclude(sku="WE").delete()
    Product.objects.filter(sku="WE").update(name="Workspace Edition 12")
    catalogue_seed_if_empty()
    assert list(Product.objects.values_list("sku", "name")) == [("WE", "Workspace Edition 12")]


@pytest.mark.django_db(transaction=True)
def test_flush_keeps_the_catalogue():
    call_command("flush", interactive=False, verbosity=0)
    assert Product.objects.filter(sku="WE").exists()


def test_a_fresh_database_has_the_sample_vendor_eula():
    from ilp.licensing.models import Eula

    vendor = Eula.objects.get(kind="vendor")
    assert vendor.version_current().version == "sample-1"
    assert "SAMPLE END USER LICENSE AGREEMENT" in vendor.version_current().text


@pytest.mark.django_db(transaction=True)
def test_flush_keeps_the_sample_eula():
    from ilp.licensing.models import Eula

    call_command("flush", interactive=False, verbosity=0)
    assert Eula.objects.filter(kind="vendor").exists()

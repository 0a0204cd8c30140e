"""`flask hospitals ...`: add hospitals to the directory and list them from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backoffice.directory.models import Hospital
from backoffice.directory.operations import create_hospital
from backoffice.errors import CommandRefused, DomainError
from backoffice.extensions import db
from backoffice.geo import country_name
from backoffice.text import clean_line

hospitals_cli = AppGroup("hospitals", help="Hospitals of the directory.")


@hospitals_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--city", required=True)
@click.option("--country", required=True, help="Two-letter country code, such as DE.")
@click.option("--languages", default="", help="Languages spoken by staff, such as de,en.")
@click.option("--timezone", default="Europe/Berlin", show_default=True, help="IANA time zone of the hospital.")
def add_hospital_command(code: str, name: str, city: str, country: str, languages: str, timezone: str) -> None:
    """Add a hospital with its unique CODE (such as FRA-ABM) and NAME."""
    try:
        hospital = create_hospital(
            code=clean_line(code),
            name=clean_line(name),
            city=clean_line(city),
            country=country,
            languages=languages,
            timezone=timezone,
        )
    except DomainError as error:
        raise CommandRefused(error.message) from None
    db.session.commit()
    click.echo(f"Added {hospital.code} {hospital.name}, {hospital.city} ({hospital.country}) (id {hospital.id}).")


@hospitals_cli.command("list")
def list_hospitals_command() -> None:
    """Every hospital with its city, country, languages and state."""
    hospitals = db.session.scalars(select(Hospital).order_by(Hospital.country, Hospital.name, Hospital.id)).all()
    if not hospitals:
        click.echo("No hospitals yet.")
        return
    width = max(len(hospital.code) for hospital in hospitals)
    for hospital in hospitals:
        state = "active" if hospital.active else "deactivated"
        place = f"{hospital.city}, {country_name(hospital.country)}"
        languages = ",".join(hospital.languages) or "-"
        click.echo(f"{hospital.code:<{width}}  {state:<11}  {hospital.name}  |  {place}  |  {languages}")

"""`flask tariffs import HOSPITAL_CODE FILE.csv [--kind international]`: import a hospital's resident tariff (or its
international price list) from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from backoffice.billing.tariffs.current import hospital_by_code
from backoffice.billing.tariffs.importing import TariffImportRefused, import_tariff, max_tariff_bytes
from backoffice.billing.tariffs.kinds import TARIFF_KINDS
from backoffice.errors import CommandRefused, DomainError
from backoffice.extensions import db

tariffs_cli = AppGroup("tariffs", help="Resident tariffs and international price lists of hospitals.")


@tariffs_cli.command("import")
@click.argument("hospital_code")
@click.argument("file", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(TARIFF_KINDS),
    default=None,
    help="What the file is when it has no kind column (resident when neither says); a kind column must agree.",
)
def import_tariff_command(hospital_code: str, file: Path, kind: str | None) -> None:
    """Import FILE.csv as the resident tariff (or, by its kind column or --kind, the international price list) of
    the hospital HOSPITAL_CODE (such as FRA-ABM).

    All-or-nothing: on any problem nothing is imported, every problem is listed and the exit status is 2.
    """
    try:
        hospital = hospital_by_code(hospital_code)
        with file.open("rb") as handle:
            data = handle.read(max_tariff_bytes() + 1)  # one byte more than allowed is enough to refuse
        tariff_import = import_tariff(hospital.id, data, file.name, actor_id=None, kind=kind)
    except TariffImportRefused as error:
        db.session.rollback()
        raise CommandRefused("\n  ".join([error.message, *error.problems])) from None
    except DomainError as error:
        db.session.rollback()
        raise CommandRefused(error.message) from None
    except OSError as error:
        raise CommandRefused(f"{file} cannot be read: {error.strerror}.") from None
    db.session.commit()
    count = tariff_import.item_count
    what = "" if tariff_import.kind == "resident" else f" ({tariff_import.kind} price list)"
    click.echo(
        f"Imported {count} item{'s' if count != 1 else ''} for {hospital.code}{what} from {tariff_import.filename}."
    )

"""`flask --app tracker workdays show YEAR`: the days of a year that differ from a plain week."""
import click
from flask.cli import with_appcontext

from tracker.workdays import services


@click.command("show")
@click.argument("year", type=click.IntRange(1, 9999))
@with_appcontext
def show_command(year: int) -> None:
    """Print YEAR's non-working weekdays and working weekends."""
    overrides = services.year_overrides(year)
    status = services.year_status(year, overrides)
    if status.library_known:
        click.echo(f"{year}: confirmed (the holidays library has the official schedule)")
    elif status.confirmed:
        click.echo(f"{year}: confirmed ({status.override_count} admin overrides)")
    else:
        click.echo(f"{year}: UNCONFIRMED (the library has no official schedule and no overrides are "
                   "entered: only weekends count)")
    exceptions = services.year_exceptions(year, overrides)
    for title, working in (("Non-working weekdays", False), ("Working weekends", True)):
        days = [e for e in exceptions if e.working is working]
        click.echo(f"{title}: {len(days)}")
        for e in days:
            name = e.name or ("调休上班" if working else "-")
            click.echo(f"  {e.day.isoformat()} {e.day.strftime('%a')}  {name}  [{e.source}]")

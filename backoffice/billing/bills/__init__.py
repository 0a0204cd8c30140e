"""Hospital bills: receiving them (`receiving`, audited by `findings`), finance's review (`review`), reading and
listing them (`listing`), their states and what every change does (`states`), their pages, forms, CSV and command."""

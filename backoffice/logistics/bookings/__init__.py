"""Bookings around the treatment: the hospital appointment, hotel stays, flights and transfers.

`operations` holds the rules every kind shares (status, cost, the trace on the case) and each kind's module what it
checks itself, with the details it is booked with (`FlightDetails`, ...); `views` and `forms` are the pages. The
calendar feed of the bookings is in `itinerary.calendar`, their costs in `logistics.costs`.
"""

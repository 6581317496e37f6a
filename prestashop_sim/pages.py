"""HTML pages that come from what sits in front of a shop, never from the webservice."""

HTML = "text/html; charset=UTF-8"
_REASONS = {
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def proxy_error(status: int) -> bytes:
    """The error page nginx shows for a status (429 from limit_req, 502/504 upstream...)."""
    title = f"{status} {_REASONS.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


def not_found() -> bytes:
    """Apache's 404 for a path outside /api/ and the dispatcher."""
    return (
        b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        b"<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n"
        b"<p>The requested URL was not found on this server.</p>\n</body></html>\n"
    )


def maintenance() -> bytes:
    """A host's maintenance page (503)."""
    return (
        b'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        b'<title>Maintenance</title>\n</head>\n<body>\n<section id="main">\n'
        b"<h1>We'll be back soon.</h1>\n<p>We are currently updating our shop and will be back "
        b"really soon.<br>Thanks for your patience.</p>\n</section>\n</body>\n</html>\n"
    )


def php_fatal() -> bytes:
    """What a PHP fatal error shows with display_errors on."""
    return (
        b"<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted "
        b"(tried to allocate 20480 bytes) in <b>/var/www/html/classes/ObjectModel.php</b> "
        b"on line <b>1763</b><br />\n"
    )


PHP_HTML = "text/html; charset=utf-8"  # what PHP itself sends (transcripts 10, 31, 124, 146)


def shop_page_not_found() -> bytes:
    """The shop's front-office "page not found" page (a theme's, shortened)."""
    return (
        b'<!doctype html>\n<html lang="en-US">\n  <head>\n  <meta charset="utf-8">\n'
        b"  <title>404 error</title>\n"
        b'  <meta name="description" content="This page cannot be found">\n'
        b"  </head>\n  <body>\n  <h1>The page you are looking for was not found.</h1>\n"
        b"  </body>\n</html>\n"
    )

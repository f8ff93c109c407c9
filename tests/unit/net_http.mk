# The httpd appliance's HTTP parsing and response heads.
UNIT_TESTS += net_http
UNIT_net_http_SRCS := apps/httpd/http.c

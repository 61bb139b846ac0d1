//! `event2/dns.h` entry points of `evdns_getaddrinfo`.

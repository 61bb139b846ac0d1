//! `event2/dns.h` entry points of the DNS server.

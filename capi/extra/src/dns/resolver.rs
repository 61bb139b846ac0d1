//! `event2/dns.h` entry points of the resolver: bases, name servers, options, lookups.

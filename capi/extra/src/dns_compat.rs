//! `event2/dns_compat.h`: the 1.x resolver API on the current event base.

//! The 1.x API's single resolver (`evdns_init`, `evdns_get_global_base`) on the current
//! event base.

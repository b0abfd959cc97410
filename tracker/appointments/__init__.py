"""The certificate-of-origin counter (原产地证预约办理): service points, slots, bookings, the counter\x27s day."""

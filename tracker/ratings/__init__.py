"""好差评: the firm rates each service; a poor rating is answered by the counter office's manager within one
working day, and the firm reads the answer. The models and services are tracker/appointments/."""

"""End-to-end tests: a real Mosquitto, Home Assistant's real MQTT client, the simulator."""

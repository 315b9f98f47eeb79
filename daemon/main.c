/*
 * main.c -- cashbookd's entry point: parse flags, run the server.
 */
#include "config.h"
#include "log.h"
#include "server.h"

int
main(int argc, char **argv)
{
	struct config cfg;

	switch (config_parse(&cfg, argc, argv)) {
	case CONFIG_EXIT:
		return 0;
	case CONFIG_USAGE:
		return 2;
	case CONFIG_OK:
		break;
	}
	log_set_level(cfg.log_level);
	return server_run(&cfg);
}

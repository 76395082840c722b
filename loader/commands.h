/* The loader's commands and what they share: exit statuses, option
 * parsing, the privilege check. */
#ifndef UNTRACK_COMMANDS_H
#define UNTRACK_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "errors.h"

/* Exit statuses of every command. */
#define UT_EXIT_OK    0
#define UT_EXIT_FAIL  1 /* the request could not be carried out */
#define UT_EXIT_USAGE 2 /* bad command line */

/* The options of a command that takes none but --help: on --help prints
 * usage to stdout. Returns -1 to go on (optind at the first operand), else
 * the exit status: UT_EXIT_OK after the help, UT_EXIT_USAGE after an
 * unknown option (reported). */
int ut_help_only_options(int argc, char **argv, const char *cmd, const char *usage);

/* Is libbpf's debug output on (-v)? */
bool ut_verbose(void);

/* Does the process have what changing or reading the kernel's BPF and
 * network state takes (CAP_NET_ADMIN, and CAP_BPF + CAP_PERFMON or
 * CAP_SYS_ADMIN)? If not, says so for command cmd and returns -EPERM. */
int ut_need_privileges(const char *cmd);

int cmd_replay(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_replace(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_events(int argc, char **argv);

#endif

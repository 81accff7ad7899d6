
/*
 * Linked into the ASan nginx of scripts/build.sh --asan (and, through
 * nginx's shared link flags, into its module, where the binary's copy
 * wins): dynamic modules stay mapped until the process exits.
 *
 * nginx unloads its modules when it destroys the cycle's pool on exit,
 * before LeakSanitizer looks for leaks; the frames of a leak in the
 * module (and in the libraries it alone pulled in) would then be
 * "<unknown module>". RTLD_NODELETE keeps them mapped; nothing else
 * changes: on a reload nginx opens the new cycle's modules before it
 * closes the old ones, so a module stays loaded there in any case.
 *
 * The wrapper calls the next dlopen, ASan's interceptor.
 */


#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>


void *
dlopen(const char *file, int mode)
{
    static void  *(*next)(const char *, int);

    if (next == NULL) {
        *(void **) &next = dlsym(RTLD_NEXT, "dlopen");

        if (next == NULL) {
            return NULL;
        }
    }

    return next(file, mode | RTLD_NODELETE);
}

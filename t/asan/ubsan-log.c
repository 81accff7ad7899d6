
/*
 * Linked into the ASan nginx of scripts/build.sh --asan (and, through
 * nginx's shared link flags, into its module): makes UBSAN_OPTIONS'
 * log_path work with gcc's sanitizers.
 *
 * gcc links UBSan as a library of its own (libubsan) beside libasan.
 * Each has a private report file; libubsan's init passes log_path to
 * __sanitizer_set_report_path, which the dynamic linker binds to
 * libasan's, so that libubsan's reports always go to stderr: for nginx,
 * the error log of a test, removed with it. This constructor calls
 * libubsan's own __sanitizer_set_report_path with that log_path; the
 * runtime appends the pid and reopens the file after fork().
 */


#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>


static void secauth_ubsan_log(void) __attribute__((constructor));


static void
secauth_ubsan_log(void)
{
    char        path[4096];
    void       *ubsan;
    size_t      len;
    const char *opts, *p;
    void      (*set_report_path)(const char *);

    opts = getenv("UBSAN_OPTIONS");
    if (opts == NULL) {
        return;
    }

    /* the last log_path=VALUE wins, as in the runtime's own parser */
    p = NULL;
    for (const char *s = opts; (s = strstr(s, "log_path=")) != NULL; s++) {
        if (s == opts || s[-1] == ':' || s[-1] == ' ' || s[-1] == ',') {
            p = s + sizeof("log_path=") - 1;
        }
    }

    if (p == NULL) {
        return;
    }

    len = strcspn(p, ": ,\t\n");
    if (len == 0 || len >= sizeof(path)) {
        return;
    }

    memcpy(path, p, len);
    path[len] = '\0';

    ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (ubsan == NULL) {
        return;
    }

    *(void **) &set_report_path = dlsym(ubsan, "__sanitizer_set_report_path");
    if (set_report_path != NULL) {
        set_report_path(path);
    }

    dlclose(ubsan);
}

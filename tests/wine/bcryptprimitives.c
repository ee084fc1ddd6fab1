/*
 * ProcessPrng for Wine 8, which has no bcryptprimitives.dll. Rust's std on
 * Windows takes its random bytes (HashMap keys, among others) from
 * ProcessPrng, so without this DLL next to the .exe the binary does not start
 * under Wine (status c0000135). For tests only: real Windows has its own.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <limits.h>
#include <windows.h>
#include <ntsecapi.h> /* RtlGenRandom, that is advapi32's SystemFunction036 */

/* Like Windows' own, it always returns TRUE: std does not look at the result,
 * so a failure to fill the buffer ends the process instead. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > ULONG_MAX ? ULONG_MAX : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            TerminateProcess(GetCurrentProcess(), 0xC0000001 /* STATUS_UNSUCCESSFUL */);
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

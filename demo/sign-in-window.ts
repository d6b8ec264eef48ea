// The SDK's realtime authWithOAuth2 waits for PocketBase's answer over realtime and never settles
// when the sign-in window is closed. This browser code opens the window itself (through
// urlCallback), watches it, and cancels the pending call. The demo page runs it and the README shows
// it verbatim (test/unit/docs/readme.test.ts checks that they match), so the browser tests
// (test/browser/demo.test.ts) try what the README recommends. Plain JavaScript without backticks.
export const AUTH_WITH_OAUTH2_WINDOW = `// authWithOAuth2 in a window this page opens and watches: it settles when the window is closed.
function authWithOAuth2Window(pb, collection, options) {
  const requestKey = 'oauth2-window';
  const features = 'width=1024,height=768';
  // Opened now, within the click, so that no popup blocker stops it; urlCallback gives it its address.
  let win = window.open('', 'oauth2-window', features);
  let answered = false; // PocketBase has passed the IdP's code on: the window's part is over
  let watch;
  let grace;
  let stop;
  const closed = new Promise((resolve, reject) => {
    stop = (message) => {
      reject(Object.assign(new Error(message), { isAbort: true }));
      pb.cancelRequest(requestKey); // the SDK rejects too and drops its realtime subscription
    };
    watch = setInterval(() => {
      if (!win || !win.closed || answered) return;
      clearInterval(watch);
      // PocketBase's redirect page closes the window itself once it has sent its answer: let that arrive.
      grace = setTimeout(() => answered || stop('Sign-in window closed'), 500);
    }, 250);
  });
  const auth = pb.collection(collection).authWithOAuth2({
    ...options,
    requestKey,
    urlCallback(url) {
      if (win) win.location.href = url;
      else if (!(win = window.open(url, 'oauth2-window', features))) stop('Sign-in window blocked');
    },
    // The SDK fetches with this only for the code exchange, which starts once PocketBase passed the code on.
    fetch(url, init) {
      answered = true;
      return window.fetch(url, init);
    },
  });
  return Promise.race([auth, closed])
    .catch((err) => {
      // An error from the IdP (error=access_denied, ...) reaches the SDK as "Something went wrong.".
      const idp = /^OAuth2 redirect error or missing code: (.*)$/.exec((err && err.originalError && err.originalError.message) || '');
      if (!idp) throw err;
      const idpError = idp[1] === 'undefined' ? 'no code' : idp[1];
      throw Object.assign(new Error('Sign-in failed: ' + idpError), { idpError });
    })
    .finally(() => {
      clearInterval(watch);
      clearTimeout(grace);
      if (win) win.close();
    });
}
`;

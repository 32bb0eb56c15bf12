/** Entry of the embeddable widget page (engage.html, served at /engage?key=…). */
import { createRoot } from 'react-dom/client';
import './page.css';
import { Widget } from './Widget.tsx';

const key = new URLSearchParams(location.search).get('key') ?? '';
createRoot(document.getElementById('root')!).render(<Widget conversationKey={key} />);
